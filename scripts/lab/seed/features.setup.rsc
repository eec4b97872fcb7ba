/interface bridge add name=vrf1-lo
/ip vrf add name=vrf1 interfaces=vrf1-lo place-before 0
