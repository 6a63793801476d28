"""The bodies of the `qa` commands, one module per group; `qa.cli` parses the command line and calls them."""
