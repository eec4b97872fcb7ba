/ip service
set ssh vrf=myVrf
