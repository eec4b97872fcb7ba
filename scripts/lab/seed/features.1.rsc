/routing bgp template
add name=bgp-template1 vrf=vrf1
