"""Seed data, split by purpose.

* ``registry.seed.data``: the demo data (invented recruiter names, licence numbers, auditors,
  findings) and the word lists generated names are made of; never a real agency name.
* ``registry.seed.demo``: the demo builder, ``build(session, ...)``, which drives the real services.
* ``registry.seed.volume``: the volume loader, ``load(engine, recruiters=N, reports=M, ...)``, the fast
  bulk path behind ``fairrecruit seed --recruiters N --reports M``.
"""
