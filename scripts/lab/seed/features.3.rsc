/ip service
set telnet vrf=vrf1
