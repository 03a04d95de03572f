module example.com/app

go 1.26

require (
	example.com/gpl v1.0.0
	example.com/mit v1.0.0
	example.com/nolicense v1.0.0
	example.com/testonly v1.0.0
)
