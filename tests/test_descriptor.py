"""datapackage.json as input: every hand-editing mistake is named at its place, nothing outside the package is read.

Each case breaks the descriptor of a fixture copy one way and asserts the exact
``datapackage.json:-:WHERE`` prefix, exit 1, no traceback, and no false cascade of CSV errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest

from baclofen_evidence.cli import main

SECRET = "TOP-SECRET-MARKER-7f3a"


def run_validate(data: Path, capsys) -> tuple[int, list[str], str]:
    code = main(["validate", "--data", str(data)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def edit_descriptor(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(d: Path) -> None:
        path = d / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        change(descriptor)
        path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")

    return apply


def res(d: dict, name: str) -> dict:
    return next(r for r in d["resources"] if r["name"] == name)


def field(d: dict, resource: str, name: str) -> dict:
    return next(f for f in res(d, resource)["schema"]["fields"] if f["name"] == name)


def set_path(resource: str, path: str):
    return edit_descriptor(lambda d: res(d, resource).__setitem__("path", path))


CASES = [
    ("absolute-path", set_path("studies", "/etc/passwd"), "resources[studies].path", "refused without reading it"),
    ("dotdot-path", set_path("studies", "../../../../etc/passwd"), "resources[studies].path", "refused without reading it"),
    ("dotdot-inside-path", set_path("studies", "sub/../../x.csv"), "resources[studies].path", "refused without reading it"),
    ("url-path", set_path("studies", "https://example.org/studies.csv"), "resources[studies].path", "is a URL"),
    ("file-url-path", set_path("studies", "file:///etc/passwd"), "resources[studies].path", "refused without reading it"),
    ("home-path", set_path("studies", "~/studies.csv"), "resources[studies].path", "refused without reading it"),
    ("missing-needed-resource", edit_descriptor(lambda d: d["resources"].remove(res(d, "costs"))), "resources", "no resource 'costs'"),
    ("empty-resources", edit_descriptor(lambda d: d.__setitem__("resources", [])), "resources", "is empty"),
    ("resources-not-a-list", edit_descriptor(lambda d: d.__setitem__("resources", {})), "resources", "needs a 'resources' list"),
    ("version-not-a-string", edit_descriptor(lambda d: d.__setitem__("version", 2)), "version", "must be a version string"),
    ("version-with-markup", edit_descriptor(lambda d: d.__setitem__("version", "<b>2</b>")), "version", "must be a version string"),
    ("descriptor-is-a-list", lambda p: (p / "datapackage.json").write_text("[]"), "-", "must be a JSON object"),
    ("pk-unknown-field", edit_descriptor(lambda d: res(d, "arms")["schema"].__setitem__("primaryKey", ["arm"])),
     "resources[arms].schema.primaryKey", "'arm', which is not a field"),
    ("fk-unknown-resource", edit_descriptor(lambda d: res(d, "arms")["schema"]["foreignKeys"][0]["reference"].__setitem__("resource", "study")),
     "resources[arms].schema.foreignKeys[0].reference.resource", "'study', which is not a resource"),
    ("fk-unknown-field", edit_descriptor(lambda d: res(d, "arms")["schema"]["foreignKeys"][0]["reference"].__setitem__("fields", ["sid"])),
     "resources[arms].schema.foreignKeys[0].reference.fields", "'sid', which is not a field of resource 'studies'"),
    ("fk-unknown-own-field", edit_descriptor(lambda d: res(d, "arms")["schema"]["foreignKeys"][0].__setitem__("fields", ["sid"])),
     "resources[arms].schema.foreignKeys[0].fields", "'sid', which is not a field"),
    ("fk-null-reference", edit_descriptor(lambda d: res(d, "arms")["schema"]["foreignKeys"][0].__setitem__("reference", None)),
     "resources[arms].schema.foreignKeys[0]", "needs 'fields' and a 'reference' object"),
    ("minimum-as-string", edit_descriptor(lambda d: field(d, "arms", "n_randomized")["constraints"].__setitem__("minimum", "1")),
     "resources[arms].schema.fields[n_randomized].constraints.minimum", 'must be a finite number, not "1"'),
    ("minimum-above-maximum", edit_descriptor(lambda d: field(d, "arms", "dose_mg_day")["constraints"].__setitem__("minimum", 5000)),
     "resources[arms].schema.fields[dose_mg_day].constraints.minimum", "is above maximum 1000"),
    ("required-as-string", edit_descriptor(lambda d: field(d, "arms", "label")["constraints"].__setitem__("required", "yes")),
     "resources[arms].schema.fields[label].constraints.required", "must be true or false"),
    ("null-constraints", edit_descriptor(lambda d: field(d, "arms", "label").__setitem__("constraints", None)),
     "resources[arms].schema.fields[label].constraints", "must be an object, not null"),
    ("null-schema", edit_descriptor(lambda d: res(d, "arms").__setitem__("schema", None)),
     "resources[arms].schema", "must be an object, not null"),
    ("enum-not-a-list", edit_descriptor(lambda d: field(d, "arms", "role")["constraints"].__setitem__("enum", "placebo")),
     "resources[arms].schema.fields[role].constraints.enum", "must be a non-empty list"),
    ("invalid-regex", edit_descriptor(lambda d: field(d, "arms", "arm_id")["constraints"].__setitem__("pattern", "^[a-z(")),
     "resources[arms].schema.fields[arm_id].constraints.pattern", "not a valid regular expression"),
    ("unknown-type", edit_descriptor(lambda d: field(d, "arms", "label").__setitem__("type", "strnig")),
     "resources[arms].schema.fields[label].type", "'strnig' is not supported"),
    ("needed-type-changed", edit_descriptor(lambda d: field(d, "arms", "label").__setitem__("type", "integer")),
     "resources[arms].schema.fields[label].type", "reads label as string, not integer"),
    ("needed-field-removed", edit_descriptor(lambda d: res(d, "arms")["schema"]["fields"].remove(field(d, "arms", "agent"))),
     "resources[arms].schema.fields", "no field 'agent'"),
    ("duplicate-field", edit_descriptor(lambda d: res(d, "arms")["schema"]["fields"].append(dict(field(d, "arms", "label")))),
     "resources[arms].schema.fields[label].name", "appears twice"),
    ("duplicate-resource", edit_descriptor(lambda d: d["resources"].append(dict(res(d, "arms")))),
     "resources[arms].name", "appears twice"),
    ("outcome-definitions-missing", edit_descriptor(lambda d: res(d, "outcomes").pop("outcomeDefinitions")),
     "resources[outcomes].outcomeDefinitions", "missing"),
    ("outcome-definitions-null", edit_descriptor(lambda d: res(d, "outcomes").__setitem__("outcomeDefinitions", None)),
     "resources[outcomes].outcomeDefinitions", "must be an object"),
    ("outcome-kind-wrong", edit_descriptor(lambda d: res(d, "outcomes")["outcomeDefinitions"]["dropout"].__setitem__("kind", "count")),
     "resources[outcomes].outcomeDefinitions.dropout.kind", "must be one of binary, continuous"),
    ("outcome-label-missing", edit_descriptor(lambda d: res(d, "outcomes")["outcomeDefinitions"]["dropout"].pop("label")),
     "resources[outcomes].outcomeDefinitions.dropout.label", "must be a non-empty string"),
    ("empty-values-unknown-field", edit_descriptor(lambda d: res(d, "studies").__setitem__("emptyValuesNeedReason", ["nope"])),
     "resources[studies].emptyValuesNeedReason", "'nope', which is not a field"),
    ("nan-in-descriptor", lambda p: (p / "datapackage.json").write_text(
        (p / "datapackage.json").read_text().replace('"minimum": 1', '"minimum": NaN', 1)), "-", "NaN is not a JSON value"),
]


@pytest.mark.parametrize("name,breaker,where,words", CASES, ids=[c[0] for c in CASES])
def test_broken_descriptor_is_named_at_its_place(package: Path, capsys, name, breaker, where, words):
    breaker(package)
    code, lines, err = run_validate(package, capsys)
    assert code == 1 and "Traceback" not in err
    prefix = f"datapackage.json:-:{where}: " if where != "-" else "datapackage.json:"
    hits = [line for line in lines if line.startswith(prefix) and words in line]
    assert hits, f"expected {prefix!r} with {words!r}; got:\n" + "\n".join(lines)
    # No false cascade: with the descriptor broken, no CSV is judged by it.
    assert all(line.startswith("datapackage.json:") for line in lines), lines


def test_a_file_outside_the_package_is_never_read(package: Path, tmp_path: Path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.csv").write_text(f"{SECRET},b\n1,2\n", encoding="utf-8")
    set_path("studies", "../outside/x.csv")(package)
    code, lines, err = run_validate(package, capsys)
    assert code == 1 and SECRET not in "\n".join(lines) + err
    assert any(line.startswith("datapackage.json:-:resources[studies].path: refused") for line in lines)


def test_a_link_inside_the_package_to_a_file_outside_is_refused(package: Path, tmp_path: Path, capsys):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(f"{SECRET}\n", encoding="utf-8")
    (package / "studies.csv").unlink()
    os.symlink(outside, package / "studies.csv")
    code, lines, err = run_validate(package, capsys)
    assert code == 1 and SECRET not in "\n".join(lines) + err
    assert any(line.startswith("studies.csv:-:-: refused without reading it") for line in lines), lines


def test_foreign_key_fields_may_be_a_string(package: Path, capsys):
    """The Table Schema spec allows a single field name as a string; a valid package stays valid."""
    def as_strings(d: dict) -> None:
        for r in d["resources"]:
            for fk in r["schema"].get("foreignKeys", []):
                if len(fk["fields"]) == 1:
                    fk["fields"], fk["reference"]["fields"] = fk["fields"][0], fk["reference"]["fields"][0]
            if len(r["schema"].get("primaryKey", [])) == 1:
                r["schema"]["primaryKey"] = r["schema"]["primaryKey"][0]

    edit_descriptor(as_strings)(package)
    code, lines, err = run_validate(package, capsys)
    assert (code, lines) == (0, []), lines


def test_a_string_foreign_key_still_catches_a_dangling_reference(package: Path, capsys):
    from tests.conftest import set_cell

    def as_string(d: dict) -> None:
        fk = res(d, "arms")["schema"]["foreignKeys"][0]
        fk["fields"], fk["reference"]["fields"] = "study_id", "study_id"

    edit_descriptor(as_string)(package)
    row = set_cell(package / "arms.csv", {"arm_id": "alpha2001_pbo"}, "study_id", "zeta2099")
    _, lines, _ = run_validate(package, capsys)
    assert any(line.startswith(f"arms.csv:{row}:study_id: 'zeta2099' points at nothing") for line in lines), lines


def test_an_unreadable_file_is_named(package: Path, capsys, monkeypatch):
    target = package / "costs.csv"
    target.chmod(0)
    if os.geteuid() == 0:  # root reads whatever the mode says, so the refusal the OS gives others is simulated
        real = Path.read_bytes

        def read_bytes(self):
            if self == target:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, lines, err = run_validate(package, capsys)
    assert code == 1 and "Traceback" not in err
    assert any(line.startswith("costs.csv:-:-: cannot be read: Permission denied") for line in lines), lines


def test_a_folder_in_place_of_a_file_is_named(package: Path, capsys):
    (package / "costs.csv").unlink()
    (package / "costs.csv").mkdir()
    code, lines, _ = run_validate(package, capsys)
    assert code == 1 and any(line.startswith("costs.csv:-:-: not a file") for line in lines), lines


@pytest.mark.parametrize("value,words", [
    ("", "--data: the folder is empty ('') - was a shell variable unset?"),
    ("/nonexistent/folder", "--data: no such folder: /nonexistent/folder"),
])
def test_a_bad_data_argument_is_named(capsys, value, words):
    code = main(["validate", "--data", value])
    out, err = capsys.readouterr()
    assert code == 1 and words in err and "Traceback" not in err and out == ""
