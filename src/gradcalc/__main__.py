from gradcalc.cli.entry import main

main()
