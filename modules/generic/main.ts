const write = native<(port: number, data: string) => void>("xs_uart_write");
write(0, "hello from XS\r\n");
