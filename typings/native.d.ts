// native("xs_<module>_<operation>"): binds a C function from the table the build generates.
// Only GENERIC's start compartment has it; parts reach C through the services they are granted.
declare function native<T extends (...args: never[]) => unknown>(name: string): T;
