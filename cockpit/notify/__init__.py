"""Notifications: who is told what (subscriptions), the in-app inbox (站内消息), the outbound
channels (group robots, a signed webhook, SMS, e-mail) and the outbox that delivers to them.

A message is made once per thing worth telling (a warning coming into force), fanned out to
the subscribers whose scope and filters match, written to their inbox, and queued once per
(message, channel, recipient) in the outbox. Delivery claims an outbox row before sending, so
a retried or re-run task never sends the same row twice (cockpit/notify/outbox.py). Tables:
cockpit/notify/tables.py (migration 0008); jobs that drive all this: cockpit/jobs/.
"""
