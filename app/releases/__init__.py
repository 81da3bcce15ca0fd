"""Releases: figures that pool people, computed once for a closed period, stored and never changed."""
