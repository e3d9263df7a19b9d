"""The evidence: the statistics behind every verdict, re-training over seeds, the defaults
report and the findings on the course note's claims.

    statistics.py   the paired comparison and its three verdicts, the sequential seed plan

Reads studies through `sweeps`, trains through `core`, logs through `tracking`; nothing below
imports this package.
"""
