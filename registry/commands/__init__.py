"""Sub-command modules of the `fairrecruit` CLI; each registers its commands on registry.cli.main."""

MODULES = ("run", "seed", "recruiters", "companies", "checks", "licences")
