"""Test driver: decodes SDTID files with python-securid (PyPI `securid`) for tokendist's
interoperability tests.

Input (stdin, one JSON document, so that passwords never appear in argv):
    [{"file": PATH, "password": STR or null, "times": [UNIX_SECONDS, ...],
      "pins": [null or INT, ...]}, ...]
Output (stdout, one JSON document, one entry per request, in order):
    {"ok": true, "serial": STR, "digits": INT, "interval": INT, "death": "YYYY/MM/DD" or null,
     "seed": HEX, "codes": [[CODE for each pin] for each time]}
    or {"ok": false, "error": "ExceptionType: message"}
A request that fails does not stop the others.
"""

import json
import sys

from securid.sdtid import SdtidFile


def decode(request):
    sdtid = SdtidFile(request["file"])
    token = sdtid.get_token(password=request["password"])
    death = token.exp_date.strftime("%Y/%m/%d") if token.exp_date else None
    codes = [[token.at(t, pin=pin) for pin in request["pins"]] for t in request["times"]]
    return {
        "ok": True,
        "serial": token.serial,
        "digits": token.digits,
        "interval": token.interval,
        "death": death,
        "seed": token.seed.hex(),
        "codes": codes,
    }


def main():
    results = []
    for request in json.load(sys.stdin):
        try:
            results.append(decode(request))
        except Exception as error:  # reported per request; the test decides what it means
            results.append({"ok": False, "error": "%s: %s" % (type(error).__name__, error)})
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
