/routing bgp vpn
add label-allocation-policy=per-vrf vrf=vrf1
