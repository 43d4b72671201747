#!/usr/bin/env python3
"""Write api/testdata/drf_json_errors.json: what DRF's own JSONParser answers
for JSON bodies it cannot parse, the "JSON parse error - ..." detail of its
400.

The Go package api words these errors as DRF does (api/pyjson.go); its tests
read this file, so what DRF says is decided by DRF, not by the Go code.

Needs Debian's python3-django and python3-djangorestframework (apt-get install
-y python3-django python3-djangorestframework); Debian's Python is 3.11, whose
json module is the one these messages come from. Run from the repository's
root:

    /usr/bin/python3 scripts/drf_json_errors.py

The bodies are listed below as bytes; the file holds each in hex beside DRF's
detail (null where DRF accepts the body).
"""
import io
import json
import platform
import sys

import django
from django.conf import settings

settings.configure()
django.setup()

import rest_framework  # noqa: E402
from rest_framework.exceptions import ParseError  # noqa: E402
from rest_framework.parsers import JSONParser  # noqa: E402

BODIES = [
    # Objects and arrays, and where Python says they went wrong.
    b'{"a":1,}', b'[1,]', b'{"name":}', b'{"a" 1}', b'[1 2]', b'{"a":1 "b":2}',
    b'[true false]', b'{1:2}', b'{"a"}', b'{"a":}', b'[,1]', b'[1,,2]',
    b'{"a" : 1 , }', b"{'name':'Amit'}", b'{"name":"Amit",}', b'{\n"a":1 x}',
    b'\t\n {"a":[1,2,{"b":null}],"c":x}', b'{"name":"Amit"', b'{"a":true',
    b'{"a":[', b'{', b'[', b'   ', b'\x00',
    # Extra data after the value.
    b'{"name":"Amit","roll":3,"city":"Delhi"} {}', b'{"a":1}}', b'[1]]', b'1 2',
    b'{"a":"x"}\x00',
    # Literals and numbers: a value begins where Python finds none.
    b'nul', b'nan', b'{"a":tru}', b'-', b'[-]', b'[.5]', b'01', b'1.',
    b'[1e]', b'[1e+]', b'[1.5e3x]', b'{"a":01}', b'{"a":-01}', b'{"a":1.}',
    # DRF refuses the constants Python would read.
    b'{"name":"A","roll":NaN,"city":"C"}', b'{"a":Infinity}', b'[-Infinity]',
    b'{"a":NaNx}', b'{"a":-Infinityx}',
    # Strings and their escapes.
    b'"ab\x00"', b'{"a":"\t"}', b'"a\\q"', b'{"a":"\\x"}', b'"\\u12"',
    b'{"a":"\\u0041\\u"}', b'{"a":"\\ud800\\u12"}', b'{"a":"\\ud800\\uzzzz"}',
    b'{"a":"\\ud800\\udc00"', b'{"a":"\\ud83d\\ude00" x}', b'"abc', b'"',
    b'{"a":"b\\', b'{"a":"\\u00e9x',
    # Characters, not bytes, are counted.
    '{"é":1,x}'.encode(), '{"é":"ü" x}'.encode(), '\ufeff{}'.encode(),
    # Bytes that are not UTF-8, and a character the body ends inside.
    b'{"name":"\xff"}', b'{"a":"\xe2\x28\xa1"}', b'{"a":"\xc0\xaf"}',
    b'{"a":"\xed\xa0\x80"}', b'{"a":"\xf4\x90\x80\x80"}', b'\x80',
    b'{"a":1}\xe2\x82', b'{"a":1}\xe2', b'\xe2\x82',
    # Bytes that began a character before one that cannot continue it.
    b'{"a":"\xe2\xbc,"}', b'[1,{"x":"y\xef\x82}]', b'{"a":"\xf0\x9f\x98x"}',
    b'{"a":"\xf0\x9fx"}', b'\xed\xbb', b'[1]\xed\xa0', b'[1]\xe0\x80', b'[1]\xed\xbb\x80',
]


def detail(body):
    try:
        JSONParser().parse(io.BytesIO(body), parser_context={'encoding': 'utf-8'})
    except ParseError as exc:
        return str(exc.detail)
    return None


def main():
    out = {
        'python': platform.python_version(),
        'djangorestframework': rest_framework.__version__,
        'cases': [{'body_hex': b.hex(), 'detail': detail(b)} for b in BODIES],
    }
    with open('api/testdata/drf_json_errors.json', 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print(f"wrote {len(BODIES)} cases to api/testdata/drf_json_errors.json", file=sys.stderr)


if __name__ == '__main__':
    main()
