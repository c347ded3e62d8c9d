"""A module a test registry declares as its built-ins, to see when it gets imported."""
