/interface bridge add name=lo_vrf
