/interface ethernet set [ find default-name=ether3 ] name=public
