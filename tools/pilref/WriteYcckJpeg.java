import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.File;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes a YCCK JPEG (four channels, Adobe APP14 transform 2, as Photoshop saves CMYK), which
 * PIL cannot write: {@code java tools/pilref/WriteYcckJpeg.java OUT.jpg}. The JDK's writer takes
 * the raster as CMYK and converts it to YCCK itself when the metadata asks for that transform.
 * The content is a seeded gradient with noise, so reruns write the same file.
 */
public class WriteYcckJpeg {
  private static final String FORMAT = "javax_imageio_jpeg_image_1.0";

  public static void main(String[] args) throws Exception {
    int width = 24;
    int height = 16;
    WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, 4, null);
    SplittableRandom random = new SplittableRandom(20261208);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        cmyk.setPixel(x, y, new int[] {x * 10, y * 15, (x + y) * 6, random.nextInt(256)});
      }
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    IIOMetadata metadata = writer.getDefaultImageMetadata(
        ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_3BYTE_BGR), param);
    IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(FORMAT);
    IIOMetadataNode variety = (IIOMetadataNode) root.getElementsByTagName("JPEGvariety").item(0);
    while (variety.hasChildNodes()) {
      variety.removeChild(variety.getFirstChild()); // no JFIF marker: it would mean YCbCr
    }
    IIOMetadataNode markers = (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
    IIOMetadataNode adobe = new IIOMetadataNode("app14Adobe");
    adobe.setAttribute("version", "100");
    adobe.setAttribute("flags0", "0");
    adobe.setAttribute("flags1", "0");
    adobe.setAttribute("transform", "2");
    markers.insertBefore(adobe, markers.getFirstChild());
    IIOMetadataNode frame = (IIOMetadataNode) root.getElementsByTagName("sof").item(0);
    frame.setAttribute("numFrameComponents", "4");
    IIOMetadataNode k = new IIOMetadataNode("componentSpec");
    k.setAttribute("componentId", "4");
    k.setAttribute("HsamplingFactor", "1");
    k.setAttribute("VsamplingFactor", "1");
    k.setAttribute("QtableSelector", "1");
    frame.appendChild(k);
    IIOMetadataNode scan = (IIOMetadataNode) root.getElementsByTagName("sos").item(0);
    scan.setAttribute("numScanComponents", "4");
    IIOMetadataNode kScan = new IIOMetadataNode("scanComponentSpec");
    kScan.setAttribute("componentSelector", "4");
    kScan.setAttribute("dcHuffTable", "1");
    kScan.setAttribute("acHuffTable", "1");
    scan.appendChild(kScan);
    metadata.setFromTree(FORMAT, root);
    try (ImageOutputStream out = ImageIO.createImageOutputStream(new File(args[0]))) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(cmyk, null, metadata), param);
    }
  }
}
