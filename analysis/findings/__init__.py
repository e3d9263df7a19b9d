"""The findings: the course note's claims, each judged by a module of its own beside its sweep
file, on the page `make findings` writes (docs/findings.md).

    registry.py      every claim, in the page's order
    claim.py         what a claim is: its words, its rule, how it measures, reads and draws
    context.py       the claims' studies and their re-training over seeds
    evidence.py      what runs say (targets, finals, dead seeds); rules.py: parts -> verdict
    adam_faster.py, momentum.py, adam_defaults.py, decay.py, normalize.py, batch_size.py
                     one claim each, its sweep file (*.toml) beside it
    sweeping.py      running the claims' sweeps into a store; page.py: the page itself
"""
