add dst-address=1.2.3.0/24 gateway=ether2 routing-table=main
