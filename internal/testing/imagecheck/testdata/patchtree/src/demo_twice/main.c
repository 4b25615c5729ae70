int counter;
int counter_max;
