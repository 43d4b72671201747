#!/usr/bin/python3
"""Writes django_verdicts.json: what Django's default password validators say
of a set of passwords for a set of users, to test passwordvalidation against.

Run with Debian's python3-django (apt-get install python3-django):
    /usr/bin/python3 testdata/django_verdicts.py > testdata/django_verdicts.json
"""
import json

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    AUTH_PASSWORD_VALIDATORS=[
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ],
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.password_validation import validate_password  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

users = [
    ("", ""),
    ("alice", "alice@example.com"),
    ("testclient", "testclient@example.com"),
    ("john.smith", "jsmith@corp.example.org"),
    ("Ünïcødé_user", "ünï@exämple.com"),
    ("a", "a@b.c"),
]
passwords = [
    "", "a", "1234567", "12345678", "password", "Password ", " PASSWORD",
    "testclient", "testclient1", "tESTCLIENT", "clienttest", "example.com",
    "alice123", "ecila", "alicealicealice", "smithjohn99", "jsmith!!",
    "corp-example", "x7Gq!pZr2", "correct horse battery staple",
    "²³¹⁴⁵⁶⁷⁸", "١٢٣٤٥٦٧٨٩", "½½½½½½½½", "qwertyuiop", "iloveyou",
    "ÜNÏCØDÉ", "ünï_exämple", "abcdefgh", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzza",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
]
cases = []
for username, email in users:
    user = User(username=username, email=email)
    for password in passwords:
        try:
            validate_password(password, user)
            messages = []
        except ValidationError as e:
            messages = e.messages
        cases.append({"username": username, "email": email, "password": password, "messages": messages})
print(json.dumps({"django": django.get_version(), "cases": cases}, ensure_ascii=False, indent=1))
