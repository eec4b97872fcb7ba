/ip route add dst-address=10.4.4.0/24 gateway=10.3.3.3
