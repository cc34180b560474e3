"""Compare two grade CSVs of the same notebooks (`mlkit grade FOLDER --csv ...`), before and
after a change: every submission's points per exercise, total, possible and error.

    python bench/grade_diff.py before.csv after.csv      # exit 1 when a grade differs

Notes (the sandbox note, hints) are left out: they may name paths or drawn numbers.
"""
import argparse
import csv
import sys

IGNORED = {"notes"}


def read(path):
    with open(path, newline="", encoding="utf-8") as file:
        return {row["submission"]: row for row in csv.DictReader(file)}


def differences(before, after):
    """``[(submission, {column: (before, after)})]`` for every submission graded differently,
    and the submissions found in only one of the two."""
    changed = []
    for name in sorted(set(before) & set(after)):
        columns = (set(before[name]) | set(after[name])) - IGNORED
        diff = {c: (before[name].get(c, ""), after[name].get(c, "")) for c in sorted(columns)
                if before[name].get(c, "") != after[name].get(c, "")}
        if diff:
            changed.append((name, diff))
    return changed, sorted(set(before) ^ set(after))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args(argv)
    before, after = read(args.before), read(args.after)
    changed, unmatched = differences(before, after)
    for name, diff in changed:
        print(f"{name}: " + ", ".join(f"{c} {b!r} -> {a!r}" for c, (b, a) in diff.items()))
    for name in unmatched:
        print(f"{name}: only in {'the first' if name in before else 'the second'} CSV")
    print(f"{len(before)} and {len(after)} submissions; {len(changed)} graded differently, "
          f"{len(unmatched)} in one CSV only")
    return 1 if changed or unmatched else 0


if __name__ == "__main__":
    sys.exit(main())
