from ingest_devstack.stack import main

main()
