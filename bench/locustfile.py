"""One endpoint, hammered by every simulated user with no think time (a closed loop).

bench_load runs locust once per endpoint with the target in the environment:
BENCH_METHOD, BENCH_PATH, BENCH_HEADERS (JSON object), BENCH_BODY (JSON, for POST) and
BENCH_EXPECT (the one status that counts as success).
"""

import json
import os

from locust import FastHttpUser, constant, task

METHOD = os.environ.get("BENCH_METHOD", "GET")
PATH = os.environ.get("BENCH_PATH", "/api/ping")
HEADERS = json.loads(os.environ.get("BENCH_HEADERS") or "{}")
BODY = os.environ.get("BENCH_BODY") or None
EXPECT = int(os.environ.get("BENCH_EXPECT", "200"))


class Student(FastHttpUser):
    wait_time = constant(0)
    # A session that expired would redirect to the login page: that must count as an error,
    # not as a fast success.
    max_redirects = 0

    @task
    def hit(self):
        with self.client.request(
            METHOD, PATH, headers=HEADERS, data=BODY, name=PATH, catch_response=True
        ) as response:
            if response.status_code != EXPECT:
                response.failure(f"status {response.status_code}")
