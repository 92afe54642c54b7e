module example.com/netonly

go 1.22
