package dev.vlm.server;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throw-away certificate authorities and the certificates they sign, written as PEM files into a
 * test's temporary directory; nothing is committed. EC P-256 keys (fast to make), PKCS#8 PEM.
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  private final Path dir;
  private final String name;
  private final KeyPair caKeys;
  private final X509CertificateHolder caCert;

  private TestPki(Path dir, String name, KeyPair caKeys, X509CertificateHolder caCert) {
    this.dir = dir;
    this.name = name;
    this.caKeys = caKeys;
    this.caCert = caCert;
  }

  /** A new CA, its certificate written to {@code dir/NAME-ca.pem}. */
  public static TestPki newCa(Path dir, String name) {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + name + " test CA");
    X509CertificateHolder cert = sign(subject, keys, subject, keys, true, null);
    TestPki pki = new TestPki(dir, name, keys, cert);
    pki.write(name + "-ca.pem", cert);
    return pki;
  }

  /** The CA certificate's PEM file. */
  public Path caCertificate() {
    return dir.resolve(name + "-ca.pem");
  }

  /** A certificate and key this CA signs for {@code cn}, valid for localhost and 127.0.0.1. */
  public Issued issue(String cn) {
    KeyPair keys = keyPair();
    X509CertificateHolder cert = sign(new X500Name("CN=" + cn), keys, caCert.getSubject(), caKeys, false,
        new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")
        }));
    String base = name + "-" + cn;
    Path certFile = write(base + ".pem", cert);
    Path keyFile = dir.resolve(base + "-key.pem");
    try (StringWriter out = new StringWriter(); JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
      pem.flush();
      Files.writeString(keyFile, out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Issued(certFile, keyFile);
  }

  /** A certificate's chain file and its private key file (PEM). */
  public record Issued(Path certificate, Path privateKey) {}

  private Path write(String file, X509CertificateHolder cert) {
    Path path = dir.resolve(file);
    try (StringWriter out = new StringWriter(); JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(cert);
      pem.flush();
      Files.writeString(path, out.toString());
      return path;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static X509CertificateHolder sign(
      X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys, boolean ca, GeneralNames names) {
    Instant now = Instant.now();
    try {
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
          BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(now.plus(Duration.ofDays(1))), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.subjectAlternativeName, false, names);
      }
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
      return builder.build(signer);
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
