/interface bridge add name=ptp-link-1
/ip vrf add name=vrf1 interfaces=ether2,ptp-link-1 place-before 0
/ip route
