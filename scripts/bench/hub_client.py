"""A JSON POST to a hub on loopback, shared by the bench scripts; asserts a 2xx answer."""
import http.client, json, urllib.parse


class Hub:
    def __init__(self, url):
        parts = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port)

    def post(self, path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        self.conn.request("POST", path, json.dumps(body), headers)
        response = self.conn.getresponse()
        data = response.read()
        assert response.status in (200, 201), (path, response.status, data)
        return json.loads(data)
