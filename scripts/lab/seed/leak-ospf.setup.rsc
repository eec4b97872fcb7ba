# Stand-ins for the /interface ipip tunnels of the example (tunnels are not in rspe yet).
/interface bridge add name=ipip-tunnel1
/interface bridge add name=ipip-tunnel2
