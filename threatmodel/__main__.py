from threatmodel.cli import main

main()
