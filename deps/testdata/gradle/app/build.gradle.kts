plugins {
    java
    alias(libs.plugins.spring.boot)
    id("io.spring.dependency-management") version "1.1.3"
    kotlin("jvm") version "1.9.20"
}

val junitVersion = "5.10.0"

dependencies {
    implementation(libs.bundles.logging)
    implementation(libs.jackson.databind)
    implementation(platform("org.springframework.boot:spring-boot-dependencies:3.1.5"))
    implementation("org.slf4j:slf4j-api:$slf4jVersion")
    /* implementation("commented:out:1.0") */
    testImplementation("org.junit.jupiter:junit-jupiter:${junitVersion}")
    runtimeOnly(group = "com.h2database", name = "h2", version = "2.2.224")
    // implementation("also:commented:1.0")
}
