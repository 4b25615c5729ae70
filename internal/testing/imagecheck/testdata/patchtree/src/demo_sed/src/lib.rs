fn demo() {
    let re = "^a.*[b]$\d";
}
