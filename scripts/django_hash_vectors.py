#!/usr/bin/env python3
"""Write internal/passwords/testdata/django_vectors.json: password hashes made
by Django's own hashers, with passwords that must and must not verify.

The Go package internal/passwords verifies Django's stored hashes natively;
its tests read these vectors, so what "Django's format" means is decided by
Django, not by the Go code that reads it.

Needs Debian's python3-django, python3-argon2 and python3-bcrypt
(apt-get install -y python3-django python3-argon2 python3-bcrypt). Run from
the repository's root:

    python3 scripts/django_hash_vectors.py

Each run makes new salts, so the file changes every time; commit it when the
hashers or the cases change, not on every run.

Costs are lowered where Django lets a subclass set them (PBKDF2's iterations,
bcrypt's rounds, scrypt's work factor), so the Go tests stay fast; one vector
per algorithm keeps Django's default cost, as a real database holds it.
Argon2's vectors at Django's defaults (m=102400 KiB, t=2, p=8) take 0.1 s
a check on an idle machine and seconds on a busy one, so they are few.

scrypt: Django added ScryptPasswordHasher in 4.0. With an older Django (Debian
12 ships 3.2) the scrypt vectors come from a stand-in that encodes Django's
documented format, scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>, with
Python's hashlib.scrypt; each vector records which one made it ("producer"),
and the file records the Django version.
"""

import hashlib
import json
import os
import sys
import base64

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ]
    + (
        ["django.contrib.auth.hashers.ScryptPasswordHasher"]
        if django.VERSION >= (4, 0)
        else []
    ),
)
django.setup()

from django.contrib.auth import hashers  # noqa: E402  (needs settings first)


class CheapPBKDF2(hashers.PBKDF2PasswordHasher):
    iterations = 1000


class CheapPBKDF2SHA1(hashers.PBKDF2SHA1PasswordHasher):
    iterations = 1000


class CheapBCryptSHA256(hashers.BCryptSHA256PasswordHasher):
    rounds = 4


class CheapBCrypt(hashers.BCryptPasswordHasher):
    rounds = 4


class CheapArgon2(hashers.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 2


class CheapArgon2i(CheapArgon2):
    """Argon2 as Django 1.10 to 2.x made it: the argon2i variety."""

    def params(self):
        p = super().params()
        p.type = self._load_library().low_level.Type.I
        return p


class StandInScrypt:
    """Django's scrypt format for a Django without ScryptPasswordHasher."""

    algorithm = "scrypt"

    def __init__(self, n, r=8, p=1):
        self.n, self.r, self.p = n, r, p

    def encode(self, password, salt):
        dk = hashlib.scrypt(
            password.encode(), salt=salt.encode(), n=self.n, r=self.r, p=self.p,
            maxmem=0, dklen=64,
        )
        return "%s$%d$%s$%d$%d$%s" % (
            self.algorithm, self.n, salt, self.r, self.p,
            base64.b64encode(dk).decode("ascii"),
        )


def scrypt_hashers():
    if hasattr(hashers, "ScryptPasswordHasher"):
        class CheapScrypt(hashers.ScryptPasswordHasher):
            work_factor = 2**10

        return [(CheapScrypt(), "django"), (hashers.ScryptPasswordHasher(), "django")]
    return [(StandInScrypt(2**10), "stand-in"), (StandInScrypt(2**14, 8, 1), "stand-in")]


LONG = "x" * 72 + "tail that bcrypt never reads"
PASSWORDS = ["correct horse", "pässwörd ✓ 密码", ""]


def vectors():
    out = []

    def add(hasher, producer, password, wrong, default_cost=False):
        base = hasher if isinstance(hasher, hashers.BasePasswordHasher) else hashers.BasePasswordHasher()
        salt = base.salt()
        encoded = hasher.encode(password, salt)
        if producer == "django":
            # Django itself is the judge: every right password verifies, and
            # whether a "wrong" one does (bcrypt's 72 bytes) is what Django says.
            if not hashers.check_password(password, encoded):
                sys.exit("Django does not verify its own %s hash" % hasher.algorithm)
            wrong_ok = [w for w in wrong if hashers.check_password(w, encoded)]
        else:
            wrong_ok = []
        out.append({
            "algorithm": hasher.algorithm,
            "producer": producer,
            "encoded": encoded,
            "password": password,
            "wrong": [w for w in wrong if w not in wrong_ok],
            # Passwords other than the right one that Django accepts all
            # the same: plain bcrypt reads only the first 72 bytes.
            "also_accepted": wrong_ok,
            # At Django's default cost: seconds under the race detector, so
            # the Go tests check only the right password there.
            "default_cost": default_cost,
        })

    common_wrong = lambda p: [p + "x", p.upper() if p.upper() != p else p + " ", "wrong"]

    for h in [CheapPBKDF2(), CheapPBKDF2SHA1(), CheapBCryptSHA256(), CheapBCrypt(), CheapArgon2()]:
        for p in PASSWORDS:
            add(h, "django", p, common_wrong(p))
    add(CheapArgon2i(), "django", "correct horse", common_wrong("correct horse"))
    # Over bcrypt's 72 bytes: bcrypt_sha256 tells the tails apart, bcrypt does not.
    for h in [CheapBCryptSHA256(), CheapBCrypt()]:
        add(h, "django", LONG, [LONG[:72], LONG + "!", "x" * 72 + "another tail"])
    (cheap_scrypt, producer), (default_scrypt, _) = scrypt_hashers()
    for p in PASSWORDS:
        add(cheap_scrypt, producer, p, common_wrong(p))
    # Django's defaults, as a real database holds them: slow to check (argon2
    # takes 0.1 s to seconds on a busy machine), so one wrong password each.
    for h in [hashers.PBKDF2PasswordHasher(), hashers.BCryptSHA256PasswordHasher(),
              hashers.Argon2PasswordHasher()]:
        add(h, "django", "correct horse", ["correct horsE"], default_cost=True)
    add(default_scrypt, producer, "correct horse", ["correct horsE"], default_cost=True)
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "internal", "passwords", "testdata", "django_vectors.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {
        "comment": "Made by scripts/django_hash_vectors.py; do not edit by hand.",
        "django": django.get_version(),
        "vectors": vectors(),
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(doc["vectors"]), os.path.relpath(path, root)))


if __name__ == "__main__":
    main()
