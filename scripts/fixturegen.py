#!/usr/bin/env python3
"""Write a large Django fixture to standard output, as `manage.py dumpdata
auth.user authtoken.token api.student` would for a big DRF studentapi:
USERS users, each with a token, and STUDENTS students.

    scripts/fixturegen.py USERS STUDENTS > big.json

It streams (nothing is held in memory), so the fixture can be larger than
the machine's memory, which is what `studentapi loaddata` is measured on
(docs/PERFORMANCE.md, "Django fixtures (issue 16)"). Every user has the
same made-up pbkdf2_sha256 hash: loaddata copies hashes, it never computes
one, so their value does not change what is measured. The keys are derived
from the user's id, so two runs write the same file.
"""
import hashlib
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: fixturegen.py USERS STUDENTS")
    users, students = int(sys.argv[1]), int(sys.argv[2])
    out = sys.stdout
    hash_ = "pbkdf2_sha256$870000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g="
    sep = "\n"
    out.write("[")
    for i in range(1, users + 1):
        out.write(
            sep + '{"model": "auth.user", "pk": %d, "fields": {"password": "%s", '
            '"last_login": null, "is_superuser": false, "username": "user%d", '
            '"first_name": "", "last_name": "", "email": "user%d@example.com", '
            '"is_staff": false, "is_active": true, "date_joined": "2024-01-02T03:04:05.123Z", '
            '"groups": [], "user_permissions": []}}' % (i, hash_, i, i)
        )
        sep = ",\n"
    for i in range(1, users + 1):
        key = hashlib.sha1(b"key%d" % i).hexdigest()  # 40 hex digits, as DRF's
        out.write(
            sep + '{"model": "authtoken.token", "pk": "%s", "fields": '
            '{"user": %d, "created": "2024-01-02T03:04:05.123Z"}}' % (key, i)
        )
        sep = ",\n"
    for i in range(1, students + 1):
        out.write(
            sep + '{"model": "api.student", "pk": %d, "fields": '
            '{"name": "Student %d", "roll": %d, "city": "City %d"}}' % (i, i, i, i % 1000)
        )
        sep = ",\n"
    out.write("\n]\n")


if __name__ == "__main__":
    main()
