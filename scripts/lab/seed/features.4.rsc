/mpls ldp
add vrf=vrf1
