"""The findings: the course note's claims, each judged by a module of its own beside its sweep
file, on the page `make findings` writes (docs/findings.md).

    registry.py      every claim, in the page's order
    claim.py         what a claim is: its words, its rule, how it measures, reads and draws
    context.py       the claims' studies and their re-training over seeds
    evidence.py      what runs say (targets, finals, dead seeds); rules.py: parts -> verdict;
                     tables.py: the page's numbers
    normalize.py, batch_size.py, momentum.py, momentum_beta.py, adam_faster.py,
    adam_defaults.py, decay.py
                     one claim each, tested by a sweep: its sweep file (*.toml) beside it
    initialization.py, gradient_checking.py, ewa.py, rmsprop.py, adam_memory.py,
    saddle_points.py one claim each, measured directly through core
    sweeping.py      running the claims' sweeps into a store; page.py: the page itself
"""
