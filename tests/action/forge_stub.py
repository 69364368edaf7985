"""The few forge API calls the update bots make, for tests/action.rs.

GitHub (examples/github/pin.yml): GET /repos/O/R/pulls?state=open&head=O:BRANCH,
POST /repos/O/R/pulls, PATCH /repos/O/R/pulls/N, with `Authorization: Bearer`.
GitLab (.gitlab/plimsoll.gitlab-ci.yml's .plimsoll-pins):
GET /api/v4/projects/ID/merge_requests?state=opened&source_branch=BRANCH,
POST /api/v4/projects/ID/merge_requests, PUT /api/v4/projects/ID/merge_requests/IID,
with `PRIVATE-TOKEN`. Pull/merge requests live in memory; each call (method,
path, query, JSON body) is appended to the log file named on the command line.
Prints its base URL, then serves until killed.

usage: forge_stub.py LOG TOKEN
"""

import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG, TOKEN = sys.argv[1], sys.argv[2]
PULLS = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, value):
        body = json.dumps(value).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_call(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        url = urllib.parse.urlsplit(self.path)
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": method, "path": url.path,
                                  "query": url.query, "body": body}) + "\n")
        if url.path.startswith("/api/v4/"):
            return self.gitlab(method, url, body)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"message": "Bad credentials"})
        parts = url.path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "repos" or parts[3] != "pulls":
            return self.reply(404, {"message": "Not Found"})
        owner = parts[1]
        if method == "GET" and len(parts) == 4:
            q = urllib.parse.parse_qs(url.query)
            head = q.get("head", [""])[0]
            found = [p for p in PULLS
                     if p["state"] == "open" and f"{owner}:{p['head']}" == head]
            return self.reply(200, found)
        if method == "POST" and len(parts) == 4:
            pull = {"number": len(PULLS) + 1, "state": "open", "head": body["head"],
                    "base": body["base"], "title": body["title"], "body": body["body"]}
            PULLS.append(pull)
            return self.reply(201, pull)
        if method == "PATCH" and len(parts) == 5:
            for p in PULLS:
                if str(p["number"]) == parts[4]:
                    p.update(body)
                    return self.reply(200, p)
        return self.reply(404, {"message": "Not Found"})

    def gitlab(self, method, url, body):
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            return self.reply(401, {"message": "401 Unauthorized"})
        parts = url.path.strip("/").split("/")
        if len(parts) < 5 or parts[2] != "projects" or parts[4] != "merge_requests":
            return self.reply(404, {"message": "404 Not Found"})
        if method == "GET" and len(parts) == 5:
            q = urllib.parse.parse_qs(url.query)
            found = [m for m in PULLS if m["state"] == "opened"
                     and m["source_branch"] == q.get("source_branch", [""])[0]]
            return self.reply(200, found)
        if method == "POST" and len(parts) == 5:
            mr = dict(body, iid=len(PULLS) + 1, state="opened")
            PULLS.append(mr)
            return self.reply(201, mr)
        if method == "PUT" and len(parts) == 6:
            for m in PULLS:
                if str(m["iid"]) == parts[5]:
                    m.update(body)
                    return self.reply(200, m)
        return self.reply(404, {"message": "404 Not Found"})

    def do_GET(self):
        self.handle_call("GET")

    def do_POST(self):
        self.handle_call("POST")

    def do_PATCH(self):
        self.handle_call("PATCH")

    def do_PUT(self):
        self.handle_call("PUT")


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
