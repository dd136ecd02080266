"""Every error key the server can send has a message in every catalogue.

The keys are found in the source: the ``key=``/``hint_key=`` arguments of every ``raise`` (and of
the web app's own :func:`~dayafter.web.security.error_body` refusals) and the ``key`` of every
``message_i18n``/``hint_i18n`` dict written out, plus the keys the request validation and the
parameter constraints compose, which are enumerated by running them. A key
the catalogues lack, or a catalogue whose placeholders differ from the English, fails here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "dayafter"
LOCALES = ROOT / "web" / "src" / "locales"
CODES = ("en", "ar", "ckb")
NAMES = re.compile(r"\{(\w+)\}")
KEY_ARGS = {"key": "args", "hint_key": "hint_args"}
# the calls whose key= and hint_key= name catalogue messages, besides the raises
ERROR_CALLS = {"error_body", "Refusal"}
# keys passed on from elsewhere, "file:source": the same-origin refusals' (scanned at Refusal(...)),
# and the request validation's (enumerated by running it, in composed_keys)
PASS_THROUGH = {"web/security.py:found.key", "web/security.py:found.hint_key", "web/app.py:key"}


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, Any]]:
    return {c: json.loads((LOCALES / f"{c}.json").read_text(encoding="utf-8")) for c in CODES}


def _call_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _error_calls(tree: ast.AST) -> list[ast.Call]:
    calls = [n.exc for n in ast.walk(tree) if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)]
    calls += [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _call_name(n) in ERROR_CALLS]
    return calls


def _literal_keys(node: ast.AST) -> set[str] | None:
    """The argument names of a dict literal (``None`` when the arguments are not a literal)."""
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {k.value for k in node.keys}  # type: ignore[union-attr]
    return None


def _i18n_dicts(tree: ast.AST) -> list[dict[str, ast.expr]]:
    """The ``{"key": ..., "args": ...}`` dicts written as the value of ``message_i18n``/``hint_i18n``."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for k, v in zip(node.keys, node.values, strict=True):
            if isinstance(k, ast.Constant) and k.value in ("message_i18n", "hint_i18n") and isinstance(v, ast.Dict):
                entries = {str(kk.value): vv for kk, vv in zip(v.keys, v.values, strict=True)
                           if isinstance(kk, ast.Constant)}
                out.append({"key": entries["key"], "args": entries.get("args", ast.Dict([], []))})
    return out


def source_keys(root: Path = SRC) -> dict[str, set[str] | None]:
    """Every key given at a raise (or an error_body/Refusal call, or written as a message_i18n or
    hint_i18n dict) in ``src/dayafter``, with the argument names given with it where they are a
    literal dict (else ``None``)."""
    found: dict[str, set[str] | None] = {}
    dynamic: list[str] = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "key=" not in text and "_i18n\"" not in text:
            continue
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(text)
        sites: list[dict[str, ast.expr]] = [{k.arg: k.value for k in call.keywords if k.arg}
                                            for call in _error_calls(tree)]
        sites += _i18n_dicts(tree)
        for kw in sites:
            for karg, aarg in KEY_ARGS.items():
                if karg not in kw:
                    continue
                value = kw[karg]
                consts = [n.value for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if not consts and not (isinstance(value, ast.Constant) and value.value is None):
                    where = f"{rel}:{ast.unparse(value)}"
                    if where not in PASS_THROUGH:
                        dynamic.append(where)
                    continue
                if any(isinstance(n, ast.JoinedStr | ast.BinOp) for n in ast.walk(value)):
                    dynamic.append(f"{rel}:{ast.unparse(value)}")
                args_node = kw.get(aarg, kw.get("args") if karg == "hint_key" else None)
                given = _literal_keys(args_node) if args_node is not None else set()
                for k in consts:
                    found[k] = given if found.get(k, given) == given else None
    assert not dynamic, f"keys made at run time cannot be checked here: {dynamic}"
    return found


def composed_keys() -> set[str]:
    """The keys the request validation, the parameter constraints and the front end compose."""
    from fastapi.exceptions import RequestValidationError  # noqa: F401  (the web extra is installed)

    from dayafter.validation import CONSTRAINT_KINDS
    from dayafter.web.app import _KIND_HINTS, _PLACES, validation_error_body

    keys = {"sep", "or", "range_sep"} | {f"constraint.{k}" for k in CONSTRAINT_KINDS}
    keys |= {f"request.place.{p}" for p in (*_PLACES, "field")}
    samples: list[list[dict[str, Any]]] = [[]]
    for kind in (*_KIND_HINTS, "int_parsing"):
        for loc in (("body", "name"), ("query", "n"), ("body",), ("elsewhere", "x")):
            one = {"type": kind, "loc": loc, "msg": "Field required"}
            samples += [[one], [one, one]]
    for errors in samples:
        body = validation_error_body(errors)
        for part in ("message_i18n", "hint_i18n"):
            if part in body:
                keys.add(body[part]["key"])
    return keys


def all_keys() -> set[str]:
    return {f"error.{k}" for k in (*source_keys(), *composed_keys())}


def test_the_source_gives_many_keys():
    keys = source_keys()
    assert len(keys) > 60
    assert {"validation.parameter", "validation.example", "web.stale_draft", "web.read_only",
            "web.cross_site", "web.no_plan", "web.queue_full", "web.empty_file"} <= set(keys)


def test_every_error_key_is_in_every_catalogue(catalogues):
    keys = all_keys()
    for code, cat in catalogues.items():
        missing = sorted(k for k in keys if k not in cat)
        assert not missing, f"{code}.json lacks {missing}"


def test_the_catalogues_agree_on_placeholders_and_translate(catalogues):
    for key in all_keys():
        en = catalogues["en"][key]
        for code in ("ar", "ckb"):
            assert set(NAMES.findall(catalogues[code][key])) == set(NAMES.findall(en)), (code, key)
            if re.search(r"[a-z]{3,}", NAMES.sub("", en)) and key != "error.constraint.other":
                assert catalogues[code][key] != en, (code, key)


def test_the_raises_give_the_placeholders_their_messages_use(catalogues):
    """Where a raise writes its arguments as a literal dict, they hold every placeholder of the
    English message (a misspelt argument would leave a ``{name}`` in the text)."""
    for key, given in source_keys().items():
        if given is None:
            continue
        used = set(NAMES.findall(catalogues["en"][f"error.{key}"]))
        assert used <= given, (key, sorted(used - given))


def test_no_catalogue_has_error_keys_nothing_sends(catalogues):
    """The catalogues' ``error.*`` keys are the server's, plus the front end's own few."""
    front_end = {"error.offline", "error.stale", "error.with_hint", "error.offline_banner"}
    stray = {k for k in catalogues["en"] if k.startswith("error.")} - all_keys() - front_end
    assert not stray


def test_the_scan_finds_keys_and_refuses_made_ones(tmp_path):
    """The scan is not vacuous: it finds a raise's keys (both branches of a conditional, the
    hint's arguments defaulting to the message's) and refuses a key made at run time."""
    (tmp_path / "m.py").write_text(
        'def f(x):\n'
        '    raise InputDataError("x", key="web.a" if x else "web.b", args={"n": 1}, hint_key="web.c")\n'
        'def g(x):\n'
        '    return error_body("E", "m", "h", key="web.d", args=x)\n', encoding="utf-8")
    assert source_keys(tmp_path) == {"web.a": {"n"}, "web.b": {"n"}, "web.c": {"n"}, "web.d": None}
    (tmp_path / "n.py").write_text('def h(k):\n    raise InputDataError("x", key=f"web.{k}")\n',
                                   encoding="utf-8")
    with pytest.raises(AssertionError, match="made at run time"):
        source_keys(tmp_path)


def _ar(catalogues, body: dict[str, Any]) -> str:
    """The Arabic of a body's message, its placeholders filled as plain text (as the front end
    does, numbers aside)."""
    i18n = body["message_i18n"]
    return NAMES.sub(lambda m: str(i18n["args"][m.group(1)]), catalogues["ar"][f"error.{i18n['key']}"])


def test_the_server_sends_the_keys_with_its_english(client, catalogues):
    """Refusals of the app (unknown plan, painting into a missing region, a bad field, an unknown
    address) carry keys the catalogues have, next to the unchanged English."""
    r = client.get("/api/plans/Nowhere")
    body = r.json()
    assert r.status_code == 422 and body["message"] == "no plan called 'Nowhere'"
    assert body["message_i18n"] == {"key": "web.no_plan", "args": {"name": "Nowhere"}}
    assert body["hint_i18n"]["key"] == "web.use_one_of" and "halves" in body["hint_i18n"]["args"]["options"]
    assert _ar(catalogues, body) == "لا توجد خطة باسم 'Nowhere'."

    body = client.post("/api/draft/paint", json={"region": 40, "units": [0]}).json()
    assert body["message_i18n"]["key"] == "web.no_region" and body["message_i18n"]["args"]["region"] == 40

    r = client.post("/api/draft/paint", json={"region": "north", "units": [0]})
    body = r.json()
    assert r.status_code == 422 and body["error"] == "RequestValidationError"
    assert body["message_i18n"] == {"key": "request.invalid_field", "args": {"place": "body", "field": "region"}}
    assert body["hint_i18n"]["key"] == "request.hint.fix"

    body = client.post("/api/draft/paint", json={"region": "north", "units": [0], "bogus": 1}).json()
    assert body["message_i18n"]["key"] == "request.invalid_field_more" and body["message_i18n"]["args"]["more"] == 1

    r = client.get("/api/no/such/thing")
    assert r.status_code == 404 and r.json()["message_i18n"]["key"] == "request.not_found"
    r = client.post("/api/draft/paint", content=b"{", headers={"Content-Type": "application/json"})
    assert r.json()["message_i18n"]["key"] == "request.json_invalid"


def test_the_refusals_before_the_app_carry_keys(client):
    """Refusals of the middleware (cross-site, body size) carry their keys too."""
    r = client.post("/api/draft/undo", headers={"X-Dayafter-CSRF": "", "Origin": "http://evil.example"})
    body = r.json()
    assert r.status_code == 403 and body["message_i18n"]["key"] == "web.cross_origin"
    assert body["message_i18n"]["args"]["origin"] == "http://evil.example"
    assert body["hint_i18n"]["key"] == "web.use_the_page"


def test_a_refused_plan_import_names_the_units_in_any_language(client, catalogues):
    """The import errors readers meet most (unknown unit ids, a file that is no plan) carry keys;
    the source is still the file's name, never the temporary copy."""
    body = client.post("/api/import/plan", params={"filename": "x.csv"},
                       content=b"unit_id,region\nNOPE,1\nNADA,1\n").json()
    assert body["source"] == "x.csv"
    assert body["message_i18n"] == {"key": "plan.unknown_ids", "args": {"n": 2, "ids": ["NOPE", "NADA"]}}
    assert body["hint_i18n"] == {"key": "plan.check_ids", "args": {}}
    body = client.post("/api/import/plan", params={"filename": "y.json"}, content=b'{"format": "other"}').json()
    assert body["message_i18n"]["key"] == "plan.not_a_plan" and body["source"] == "y.json"
