"""Operating the worker's queues: inspect and replay parked messages, export least-privilege
broker definitions. Runbook: docs/runbook.md.

* ``messages``: what a parked message says (invoice number, supplier, Leitweg-ID, why it is
  parked) and how to rebuild the original inbound message from it;
* ``inspect``: queue depths and a non-destructive walk over a queue;
* ``replay``: publish selected parked messages back to inbound, confirmed before acknowledged;
* ``definitions``: a RabbitMQ definitions file with one user per role and per municipality.
"""
