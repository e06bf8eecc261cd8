"""Every text a user sees exists in English, Simplified and Traditional Chinese."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, Translator
from dispatch.model import Language

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _extract(tmp_path: Path) -> set[str]:
    pot = tmp_path / "check.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "t",
            "-k",
            "tn:1,2",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {str(m.id) for m in read_po(f) if m.id}


def _catalog(language: Language) -> dict[str, str]:
    with (LOCALES / language.value / "LC_MESSAGES" / "aftercare.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


@pytest.mark.parametrize("language", list(Language))
def test_every_text_in_the_code_is_translated(tmp_path: Path, language: Language) -> None:
    in_code = _extract(tmp_path)
    catalog = _catalog(language)
    missing = sorted(m for m in in_code if not catalog.get(m))
    assert missing == [], f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", [Language.ZH_HANS, Language.ZH_HANT])
def test_translations_keep_every_placeholder(language: Language) -> None:
    for msgid, msgstr in _catalog(language).items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid


def test_simplified_and_traditional_are_really_different_scripts() -> None:
    hans, hant = _catalog(Language.ZH_HANS), _catalog(Language.ZH_HANT)
    assert "经理" in hans["A manager"] and "經理" in hant["A manager"]
    differing = sum(1 for k in hans if hans[k] != hant.get(k))
    assert differing > len(hans) * 0.8


def test_rendering_fills_placeholders_in_each_language() -> None:
    from zoneinfo import ZoneInfo

    translator = Translator()
    zone = ZoneInfo("Asia/Shanghai")
    assert (
        translator.render(
            Language.ZH_HANS, "Language set to {language}.", {"language": "English"}, zone=zone
        )
        == "语言已设为English。"
    )
    assert (
        translator.render(
            Language.EN, "Language set to {language}.", {"language": "English"}, zone=zone
        )
        == "Language set to English."
    )


def _misused_extraction_keywords(root: Path) -> list[str]:
    """Places where ``t`` or ``N_`` names anything but the translation function.

    ``pybabel extract -k t`` reads every ``t[...]`` and ``t(...)`` as a text to translate,
    and newer Babel releases read more shapes; a loop variable called ``t`` once put
    ``kind`` and ``id`` into the catalogs.
    """
    found = []
    for package in ("bot", "handlers", "dispatch"):
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            allowed: set[int] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    allowed.add(id(node.func))
                elif isinstance(node, ast.Assign) and (
                    isinstance(node.value, ast.Attribute) and node.value.attr in ("t", "tn")
                ):
                    allowed.update(id(target) for target in node.targets)
                    allowed.add(id(node.value))
            for node in ast.walk(tree):
                name = (
                    node.id
                    if isinstance(node, ast.Name)
                    else node.attr
                    if isinstance(node, ast.Attribute)
                    else node.arg
                    if isinstance(node, ast.arg)
                    else None
                )
                if name in ("t", "tn", "N_") and id(node) not in allowed:
                    found.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}")
    return found


def test_the_extraction_keywords_name_nothing_but_the_translation_function() -> None:
    assert _misused_extraction_keywords(ROOT) == []


# Mainland wording a Taiwanese customer would not write, with what Taiwan says instead.
MAINLAND_IN_TAIWAN = {
    "上門": "到府 (a visit to the home)",
    "派單": "派工 / 安排技師 (dispatching a job)",
    "在崗": "值班 (on duty)",
    "三包": "保固 (三包 is a mainland legal regime; Taiwan has none)",
    "購物憑證": "購買證明（發票或收據）",
    "訂單號": "訂單編號",
    "回形針": "迴紋針 (the paperclip icon)",
    "共享即時位置": "分享即時位置 (Telegram's own Taiwan wording)",
    "調休": "補班 (a make-up working day)",
    "簽字": "簽名",
    "工作日": "工作天",
    "用戶": "客戶 (the customer)",
    "配件": "零件 (spare parts)",
    "提交": "送出 (sending a form)",
    "資訊": "資料 (what the customer typed)",
    "時間節點": "處理時程",
    "故障代碼": "錯誤代碼",
    "紙質": "紙本",
    "鼓包": "膨脹 (a bulging capacitor)",
    "常規": "一般",
    "法定節假日": "國定假日",
    "一條訊息": "一則訊息",
}


def test_traditional_chinese_is_written_for_taiwan() -> None:
    found = {
        marker: msgid
        for msgid, msgstr in _catalog(Language.ZH_HANT).items()
        for marker in MAINLAND_IN_TAIWAN
        if marker in msgstr
    }
    assert found == {}


# Texts customers read about their own requests: the staff words stay out of them.
STAFF_WORDS = ("工单", "工單", "派单", "派單", "结案", "結案")
CUSTOMERS_READ = (
    "My requests and their progress",
    "Your requests, newest first. Tap one to see its progress:",
    "« All my requests",
    "No request of yours is open.",
    "Closed",
    "Finding a technician",
    "Technician assigned",
    "Related request",
    "Is it about one of your requests?",
    "That request is closed, so nothing can be added. Send /mytickets to see your requests.",
)


@pytest.mark.parametrize("language", [Language.ZH_HANS, Language.ZH_HANT])
def test_customers_read_one_word_for_their_request_and_no_staff_jargon(
    language: Language,
) -> None:
    catalog = _catalog(language)
    jargon = {
        msgid: catalog[msgid]
        for msgid in CUSTOMERS_READ
        if any(word in catalog[msgid] for word in STAFF_WORDS)
    }
    assert jargon == {}


def _overlay() -> dict[str, str]:
    with (LOCALES / "zh_Hant_HK" / "LC_MESSAGES" / "aftercare.po").open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def test_hong_kong_wording_lies_over_taiwans_and_falls_back_to_it() -> None:
    hong_kong, taiwan = Translator(region="HK"), Translator(region="TW")
    visit = "Which day suits you best for the visit?"
    assert taiwan.gettext(Language.ZH_HANT, visit) == "您希望哪天到府服務？"
    assert hong_kong.gettext(Language.ZH_HANT, visit) == "您希望哪天上門服務？"
    assert hong_kong.gettext(Language.ZH_HANT, "Warranty") == "保養"
    # A text Hong Kong writes as Taiwan does comes from zh_Hant; other languages are untouched.
    assert hong_kong.gettext(Language.ZH_HANT, "Ask a question") == taiwan.gettext(
        Language.ZH_HANT, "Ask a question"
    )
    assert hong_kong.gettext(Language.ZH_HANS, visit) == "您希望哪天上门？"


def test_the_hong_kong_overlay_holds_only_real_texts_with_their_placeholders() -> None:
    taiwan = _catalog(Language.ZH_HANT)
    for msgid, msgstr in _overlay().items():
        assert msgid in taiwan, msgid  # an overlay never adds a text of its own
        assert msgstr != taiwan[msgid], msgid  # nor repeats one
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
        assert not any(word in msgstr for word in ("到府", "保固", "迴紋針")), msgid


def test_counted_texts_take_the_form_their_number_needs() -> None:
    translator = Translator()

    def photos(language: Language, n: int) -> str:
        text = translator.ngettext(language, "(+{count} photo)", "(+{count} photos)", n)
        return text.format(count=n)

    assert [photos(Language.EN, n) for n in (1, 2)] == ["(+1 photo)", "(+2 photos)"]
    assert [photos(Language.ZH_HANS, n) for n in (1, 2)] == ["（+1 张照片）", "（+2 张照片）"]
    assert photos(Language.ZH_HANT, 1) == "（+1 張照片）"


@pytest.mark.parametrize("language", list(Language))
def test_each_kind_is_surveyed_in_its_own_words_in_every_language(language: Language) -> None:
    from dispatch.model import TicketKind
    from dispatch.surveys import ITEMS, question

    translator = Translator()
    asked = {
        kind: [translator.gettext(language, question(kind, item)) for item in ITEMS]
        for kind in (
            TicketKind.REPAIR,
            TicketKind.INSTALLATION,
            TicketKind.COMPLAINT,
            TicketKind.RETURN,
        )
    }
    # A complaint or a return is not asked about a visit; an installation not about a repair.
    assert asked[TicketKind.COMPLAINT][0] != asked[TicketKind.REPAIR][0]
    assert asked[TicketKind.RETURN][0] != asked[TicketKind.REPAIR][0]
    assert asked[TicketKind.INSTALLATION][2] != asked[TicketKind.REPAIR][2]
    if language is not Language.EN:  # every question is really translated
        english = {question(kind, item) for kind in asked for item in ITEMS}
        assert not english & {text for texts in asked.values() for text in texts}


# Modules whose texts only operators read, on the console or in the log: English by design
# (the README tells operators so), never sent to anybody in a chat.
# What an operator reads in a terminal or a monitoring tool, in English like the log:
# the command line, the config's errors, /healthz's reasons, `aftercare verify`'s findings.
OPERATOR_MODULES = (
    "bot/cli.py",
    "bot/config.py",
    "bot/alerts.py",
    "bot/health.py",
    "bot/verify.py",
    "dispatch/audit.py",
)
# Strings built in code that nobody reads in a chat, with why.
MACHINE_TEXTS = {
    ("bot/inbox.py", "tried "): "why an update was given up, in the operator's log",
    ("bot/inbox.py", "received "): "the same",
    ("bot/outbox.py", "retry after "): "why a message waits, in the delivery log",
    ("bot/staffroom.py", "retry after "): "the same, for the staff group's queue",
    ("bot/staffroom.py", "unknown kind "): "a post the code cannot carry out, in the log",
    ("dispatch/numbering.py", "-"): "a ticket's number, an identifier in every language",
    ("bot/insight.py", "-"): "an exported file's name, the same in every language",
    ("bot/exports.py", "-"): "the same",
    ("bot/reporting.py", "-"): "the same, for the files `aftercare report` writes",
}
# A string built in code that starts like this is a key, callback data, a regex, a name in
# code or a file name: the machine reads it, nobody sees it.
MACHINE_STRING = re.compile(r"^(?:[\w.-]*:|[\w.]+$|\^|\(|[)$|+]$|\.\w+$|#)")
LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}


def _for_the_machine(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """In a ``raise``, a log call or an exception class: read by developers, not users."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Raise):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOGGING
        ):
            return True
        if isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id.endswith(("Error", "Exception"))
            for base in node.bases
        ):
            return True
    return False


def _literals(node: ast.AST) -> list[str] | None:
    """The literal parts of a string put together in code, or None for anything else."""
    if isinstance(node, ast.JoinedStr):
        literals = [str(v.value) for v in node.values if isinstance(v, ast.Constant)]
        if any(isinstance(v, ast.FormattedValue) and v.format_spec for v in node.values):
            literals.append("<a number formatted by Python: numbers go through Babel>")
        return literals or [""]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("join", "format")
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return [node.func.value.value]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        sides = [
            side.value
            for side in (node.left, node.right)
            if isinstance(side, ast.Constant) and isinstance(side.value, str)
        ]
        return sides or None
    return None


def _text_built_in_code(root: Path) -> list[str]:
    """Sentences, separators and number formats put together in Python instead of the catalogs.

    The catalogs hold whole sentences with ``{placeholders}`` so that each language orders,
    punctuates and separates them as it writes (Chinese uses full-width ``；：（``, English
    spaces); numbers, money and dates go through Babel. What code may still put together:
    lines (joined with a newline), a user's own words, keys and callback data, log lines and
    exceptions.
    """
    found = []
    for package in ("bot", "handlers", "dispatch"):
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name in OPERATOR_MODULES:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {
                child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
            }
            for node in ast.walk(tree):
                if isinstance(parents.get(node), ast.FormattedValue):
                    continue  # a format spec, judged with its f-string
                literals = _literals(node)
                if literals is None or (name, literals[0]) in MACHINE_TEXTS:
                    continue
                if literals[0] and MACHINE_STRING.match(literals[0]):
                    continue
                if all(not text.strip() for text in literals):
                    continue
                if not _for_the_machine(node, parents):
                    found.append(f"{name}:{getattr(node, 'lineno', 0)}: {ast.unparse(node)[:80]}")
    return found


def test_no_sentence_separator_or_number_is_put_together_outside_the_catalogs() -> None:
    assert _text_built_in_code(ROOT) == []


# Words Taiwan writes and Hong Kong does not (到府: a visit, 保固: the warranty, 迴紋針: the
# paperclip): every zh_Hant text with one has its Hong Kong text in the overlay.
TAIWAN_ONLY = ("到府", "保固", "迴紋針")


def test_every_text_with_taiwans_own_words_has_its_hong_kong_wording() -> None:
    overlay = _overlay()
    missing = [
        msgid
        for msgid, msgstr in _catalog(Language.ZH_HANT).items()
        if any(word in msgstr for word in TAIWAN_ONLY) and msgid not in overlay
    ]
    assert missing == []
