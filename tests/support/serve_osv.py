"""Serves OSV records the way the OSV bucket lays them out:
<root>/<Ecosystem>/all.zip, built from tests/fixtures/osv/<Ecosystem>/*.json.
Prints the base URL on stdout, then serves on 127.0.0.1 until killed.

usage: serve_osv.py FIXTURE_DIR WORK_DIR
"""
import functools
import http.server
import pathlib
import sys
import zipfile

fixtures, work = map(pathlib.Path, sys.argv[1:3])
for eco in sorted(p for p in fixtures.iterdir() if p.is_dir()):
    out = work / eco.name
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out / "all.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for rec in sorted(eco.glob("*.json")):
            z.write(rec, rec.name)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(work)))
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
