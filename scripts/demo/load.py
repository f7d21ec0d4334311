"""The demo's load generator: a modest, steady mix of tasks so every view of the panel has life.

Quick and slow tasks, failures, retries (some that succeed in the end, some that give up), video
encodes at four priorities on the media queue, a topic-routed audit task, and now and then a
message parked on a queue no worker consumes, so the queues view has depth to show.
Runs until it is stopped (SIGTERM or Ctrl-C).
"""
import random
import signal
import sys
import time

from panel_fixture import add, audit_login, cleanup, encode_video, fail, flaky, report, sleep_for

TASKS_PER_SECOND = 2
PARK_EVERY = 40  # one parked message per this many tasks (about one every 20 s)

ERRORS = ["disk full", "payment gateway timed out", "video 404", "boom"]
USERS = ["alice", "bob", "carol", "dave"]


def slow_on_solo():
    # Only the solo worker consumes slowlane: while this runs it sends no heartbeat.
    return sleep_for.apply_async(args=[round(random.uniform(1, 4), 1)], queue="slowlane", routing_key="slowlane")


def park(priority=None):
    # Nobody consumes "parked": these stay there, split by priority.
    p = random.choice([0, 3, 6, 9]) if priority is None else priority
    return add.apply_async(args=[p, p], queue="parked", routing_key="parked", priority=p)


MIX = [  # (weight, send one task)
    (30, lambda: add.delay(random.randint(1, 99), random.randint(1, 99))),
    (10, lambda: sleep_for.delay(round(random.uniform(0.3, 2.5), 1))),
    (5, slow_on_solo),
    (8, lambda: fail.delay(random.choice(ERRORS))),
    # flaky retries succeed_on_retry times; with max_retries=2 a 3 means it gives up and fails.
    (7, lambda: flaky.delay(random.choice([1, 2, 3]))),
    (15, lambda: encode_video.apply_async(args=[random.randint(1000, 9999)], kwargs={"quality": random.choice(["sd", "hd", "4k"])}, priority=random.choice([0, 3, 6, 9]))),
    (8, lambda: audit_login.delay(random.choice(USERS))),
    (5, lambda: report.delay(kind=random.choice(["daily", "weekly"]))),
    (3, cleanup.delay),
]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    senders = [send for _, send in MIX]
    weights = [weight for weight, _ in MIX]
    for priority in (0, 6, 9):
        park(priority)
    print(f"load: sending about {TASKS_PER_SECOND} tasks a second", flush=True)
    sent = 0
    while True:
        random.choices(senders, weights)[0]()
        sent += 1
        if sent % PARK_EVERY == 0:
            park()
        time.sleep(1 / TASKS_PER_SECOND)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
