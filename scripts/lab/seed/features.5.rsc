/routing ospf instance
add disabled=no name=ospf-instance-1 vrf=vrf1
