from optsweep.cli import main

main()
