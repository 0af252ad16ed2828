#!/usr/bin/env python3
"""Writes stackless-tests.json: every upstream Stackless test method (file, class, method).

Usage: tools/CompatMatrix/suite-inventory.py CPYTHON_GIT_DIR CPYTHON_REV TESTSUITE_GIT_DIR TESTSUITE_REV > stackless-tests.json

Reads the test files straight from git (no checkout, nothing imported or executed): Stackless/unittests/test_*.py of
stackless-dev/cpython and stackless_testsuite/v3_1/**/test_*.py of stackless-dev/stackless-testsuite. A test class is a
class of the file that derives (directly or through classes of the same file) from a class whose name ends in
"TestCase"; its tests are the methods named test* of the class and of its bases in the same file (mixins included),
as unittest collects them. The test_content.py files of the test suite create most of their tests at import time with
create_type_tests_for_class / create_type_tests_for_module; those names are derived from the DECLARED_API (and
ADDITIONAL_API) dictionaries the same way. A method decorated with @unittest.skip(...) is marked "skipped_upstream".
"""
import ast
import json
import subprocess
import sys


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


def base_names(cls):
    for b in cls.bases:
        if isinstance(b, ast.Name):
            yield b.id
        elif isinstance(b, ast.Attribute):
            yield b.attr


def is_skip(decorator):
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "skip"


def dict_keys(tree, name, constants):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            keys = []
            for k in node.value.keys:
                if isinstance(k, ast.Constant):
                    keys.append(k.value)
                elif isinstance(k, ast.Name):
                    keys.append(constants[k.id])
            return keys
    return []


def tests_of(source):
    tree = ast.parse(source)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def is_test_case(name, seen=()):
        cls = classes.get(name)
        if cls is None:
            return False
        for b in base_names(cls):
            if b.endswith("TestCase") and b not in classes:
                return True
            if b in classes and b not in seen and is_test_case(b, seen + (name,)):
                return True
        return False

    def methods(name, seen=()):
        cls = classes[name]
        found = {}
        for b in reversed(list(base_names(cls))):
            if b in classes and b not in seen:
                found.update(methods(b, seen + (name,)))
        for node in cls.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                found[node.name] = any(is_skip(d) for d in node.decorator_list)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                call = node.value
                func = getattr(call.func, "id", "")
                if func in ("create_type_tests_for_class", "create_type_tests_for_module"):
                    constants = {"NEXT_NAME": "__next__"}
                    if func == "create_type_tests_for_class":
                        api = dict_keys(tree, call.args[1].id, constants)
                        for prefix in ("testAttributeTypeOnClass_", "testAttributeTypeOnInstance_"):
                            found.update({prefix + k: False for k in api})
                    else:
                        api = dict_keys(tree, call.args[2].id, constants) + dict_keys(tree, call.args[3].id, constants)
                        found.update({"testAttributeType_" + k: False for k in api})
        return found

    for name in classes:
        if is_test_case(name):
            for method, skipped in sorted(methods(name).items()):
                yield name, method, skipped


def inventory(repo, rev, root):
    for path in sorted(git(repo, "ls-tree", "-r", "--name-only", rev, root).split()):
        file_name = path.rsplit("/", 1)[-1]
        if file_name.startswith("test_") and file_name.endswith(".py"):
            for cls, method, skipped in tests_of(git(repo, "show", f"{rev}:{path}")):
                entry = {"file": path, "class": cls, "method": method}
                if skipped:
                    entry["skipped_upstream"] = True
                yield entry


def main():
    cpython, cpython_rev, suite, suite_rev = sys.argv[1:5]
    cpython_commit = git(cpython, "rev-parse", cpython_rev).strip()
    suite_commit = git(suite, "rev-parse", suite_rev).strip()
    rows = list(inventory(cpython, cpython_commit, "Stackless/unittests/"))
    rows += list(inventory(suite, suite_commit, "stackless_testsuite/v3_1/"))
    print(f"// Upstream Stackless tests: stackless-dev/cpython {cpython_rev} {cpython_commit} (Stackless/unittests),")
    print(f"// stackless-dev/stackless-testsuite {suite_rev} {suite_commit} (stackless_testsuite/v3_1).")
    print("// Generated by tools/CompatMatrix/suite-inventory.py; do not edit by hand.")
    print("[")
    print(",\n".join("  " + json.dumps(r) for r in rows))
    print("]")


if __name__ == "__main__":
    main()
