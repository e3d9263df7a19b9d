"""The findings on the course note's claims, one module per claim.

Each module names its claim (KEY, TITLE, QUOTE, the verdict RULE fixed before measuring) and
has `measure(seeds, workers)` (the evidence, its parts and the verdict they combine to),
`figure(result, folder)` (one PNG or None) and `section(result)` (the Markdown of its section).
`common.py` holds what they share: the three-way verdict, the statistics of a part, the tables.
"""
