/ip vrf add name=myVrf interfaces=lo_vrf
